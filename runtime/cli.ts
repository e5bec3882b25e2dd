#!/usr/bin/env node
// The `sluice` command. memory-mode sets V8's heap flags and kafkajs-patches must be in place before kafkajs
// loads: both come first. The commands themselves are in cli/ and load what they use when they run.
import './memory-mode.js';
import './transport/kafka/kafkajs-patches.js';
import { processIO } from './cli/io.js';
import { runCli } from './cli/program.js';

const code = await runCli(process.argv.slice(2), processIO());
// A command that finished sets the exit code and lets stdout drain; worker commands keep running (code undefined).
if (code !== undefined) process.exitCode = code;
