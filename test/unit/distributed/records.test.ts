import { describe, expect, it } from 'vitest';
import {
  decodeConfigRecord,
  decodeStatusRecord,
  encodeCommit,
  encodeConnectorConfig,
  encodeRestart,
  encodeStatus,
  encodeTargetState,
  encodeTaskConfig,
} from '../../../runtime/worker/distributed/records.js';

/**
 * Kafka Connect's config and status records (KafkaConfigBackingStore, KafkaStatusBackingStore: JsonConverter,
 * schemas disabled). The expected bytes are what a Connect 3.9 worker writes for the same state.
 */
const text = (b: Buffer) => b.toString('utf8');

describe('config topic records', () => {
  it("writes Connect's values", () => {
    expect(text(encodeConnectorConfig({ 'connector.class': 'FileStreamSource', name: 'a' }))).toBe(
      '{"properties":{"connector.class":"FileStreamSource","name":"a"}}',
    );
    expect(text(encodeTaskConfig({ file: '/x' }))).toBe('{"properties":{"file":"/x"}}');
    expect(text(encodeCommit(3))).toBe('{"tasks":3}');
    expect(text(encodeTargetState('PAUSED'))).toBe('{"state":"PAUSED","state.v2":"PAUSED"}');
    // STOPPED falls back to PAUSED in `state` for workers older than KIP-875.
    expect(text(encodeTargetState('STOPPED'))).toBe('{"state":"PAUSED","state.v2":"STOPPED"}');
    expect(text(encodeRestart(true, false))).toBe('{"include-tasks":true,"only-failed":false}');
  });

  it('reads every kind of key, with dashes in connector names', () => {
    expect(decodeConfigRecord('connector-my-conn', encodeConnectorConfig({ a: '1' }))).toEqual({
      kind: 'connector',
      connector: 'my-conn',
      config: { a: '1' },
    });
    expect(decodeConfigRecord('connector-my-conn', null)).toEqual({
      kind: 'connector',
      connector: 'my-conn',
      config: null,
    });
    expect(decodeConfigRecord('task-my-conn-12', encodeTaskConfig({ b: '2' }))).toEqual({
      kind: 'task',
      connector: 'my-conn',
      task: 12,
      config: { b: '2' },
    });
    expect(decodeConfigRecord('commit-my-conn', encodeCommit(2))).toEqual({
      kind: 'commit',
      connector: 'my-conn',
      tasks: 2,
    });
    expect(decodeConfigRecord('target-state-x', encodeTargetState('STOPPED'))).toEqual({
      kind: 'target-state',
      connector: 'x',
      state: 'STOPPED',
    });
    expect(decodeConfigRecord('target-state-x', null)).toEqual({ kind: 'target-state', connector: 'x', state: null });
    expect(decodeConfigRecord('restart-connector-x', encodeRestart(false, true))).toEqual({
      kind: 'restart',
      connector: 'x',
      includeTasks: false,
      onlyFailed: true,
    });
  });

  it("reads an older worker's target state (no state.v2) and skips what it does not use", () => {
    expect(decodeConfigRecord('target-state-x', Buffer.from('{"state":"PAUSED"}'))).toMatchObject({ state: 'PAUSED' });
    expect(
      decodeConfigRecord('session-key', Buffer.from('{"key":"k","algorithm":"HmacSHA256","creation-timestamp":1}')),
    ).toEqual({ kind: 'ignored', key: 'session-key' });
    expect(decodeConfigRecord('tasks-fencing-x', Buffer.from('{"task-count":1}'))).toEqual({
      kind: 'ignored',
      key: 'tasks-fencing-x',
    });
    expect(decodeConfigRecord('connector-x', Buffer.from('not json')).kind).toBe('ignored');
    expect(decodeConfigRecord('task-nodash', encodeTaskConfig({})).kind).toBe('ignored');
    expect(decodeConfigRecord('target-state-x', Buffer.from('{"state":"SLEEPING"}')).kind).toBe('ignored');
  });
});

describe('status topic records', () => {
  it("writes fields in Connect's schema order, trace null when absent", () => {
    expect(text(encodeStatus({ state: 'RUNNING', trace: null, worker_id: '10.0.0.1:8083', generation: 4 }))).toBe(
      '{"state":"RUNNING","trace":null,"worker_id":"10.0.0.1:8083","generation":4}',
    );
  });

  it('reads connector and task statuses and tombstones', () => {
    const v = encodeStatus({ state: 'FAILED', trace: 'boom', worker_id: 'w:1', generation: 2 });
    expect(decodeStatusRecord('status-connector-a-b', v)).toEqual({
      kind: 'connector',
      connector: 'a-b',
      status: { state: 'FAILED', trace: 'boom', worker_id: 'w:1', generation: 2 },
    });
    expect(decodeStatusRecord('status-task-a-b-3', v)).toMatchObject({ kind: 'task', connector: 'a-b', task: 3 });
    expect(decodeStatusRecord('status-task-a-b-3', null)).toEqual({
      kind: 'task',
      connector: 'a-b',
      task: 3,
      status: null,
    });
    expect(decodeStatusRecord('status-topic-t:connector-a', Buffer.from('{}')).kind).toBe('ignored');
  });
});
