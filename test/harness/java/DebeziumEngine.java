import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Runs Debezium's embedded engine for sluice's conformance suite and benchmarks:
 *
 *   java -cp '<libs>/*' DebeziumEngine.java PROPS OUT [PROPS OUT ...]
 *
 * Each PROPS file is one connector (Debezium's keys: connector.class, database.*, topic.prefix, …); its records
 * go to OUT, one line each: {"topic":…,"key":…,"value":…}, key and value exactly as a Kafka Connect worker with
 * JsonConverter (schemas.enable=true, its other settings at their defaults) writes them; a tombstone's value is
 * null. Several PROPS/OUT pairs run several engines in one JVM (start-up is the cost in CI).
 * Unless a PROPS file sets them: name, FileOffsetBackingStore and FileSchemaHistory in a temp dir of its own,
 * offset.flush.interval.ms=1000.
 * Keys starting with "harness." are the harness's own and never reach Debezium (bench/vs-debezium uses them):
 *   harness.output=value          one line per record holding only the converted value (a FileStreamSink's
 *                                 output), written as bytes; default "record", the line above
 *   harness.schemas.enable=false  JsonConverter without the {"schema","payload"} envelope (default true)
 *
 * On stdout, one line per event, for the parent to wait on:
 *   STARTED <i>          engine i's task started (i counts PROPS files from 0)
 *   STREAMING <i>        engine i's streaming source is connected (its snapshot, if any, is done)
 *   FAILED <i> <message> engine i stopped with an error
 *   STOPPED              every engine closed and every OUT flushed; the JVM exits
 * Lines are flushed after every batch. Stdin closing (or SIGTERM) stops every engine cleanly.
 */
public class DebeziumEngine {
    private static final Object STDOUT = new Object();
    private static final byte[] NULL_BYTES = "null".getBytes(StandardCharsets.UTF_8);

    static void say(String line) {
        synchronized (STDOUT) {
            System.out.println(line);
            System.out.flush();
        }
    }

    static final class Engine {
        final int index;
        final Properties props;
        final BufferedWriter out;
        /** harness.output=value: the raw file, values only */
        final java.io.OutputStream valuesOut;
        final JsonConverter keys = new JsonConverter();
        final JsonConverter values = new JsonConverter();
        final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        io.debezium.engine.DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
        volatile boolean streaming;
        volatile boolean done;

        Engine(int index, Properties props, Path outFile) throws Exception {
            this.index = index;
            // The harness's own keys are taken out before Debezium sees the properties.
            String output = (String) props.remove("harness.output");
            String schemas = (String) props.remove("harness.schemas.enable");
            this.props = props;
            if ("value".equals(output)) {
                this.valuesOut = new java.io.BufferedOutputStream(new FileOutputStream(outFile.toFile()), 1 << 16);
                this.out = null;
            } else {
                this.valuesOut = null;
                this.out = new BufferedWriter(
                        new OutputStreamWriter(new FileOutputStream(outFile.toFile()), StandardCharsets.UTF_8), 1 << 16);
            }
            // What a Connect worker's key.converter/value.converter=JsonConverter does with no further settings.
            String enable = schemas == null ? "true" : schemas;
            keys.configure(Map.of("schemas.enable", enable), true);
            values.configure(Map.of("schemas.enable", enable), false);
        }

        synchronized void write(List<RecordChangeEvent<SourceRecord>> batch) throws java.io.IOException {
            if (valuesOut != null) {
                // A FileStreamSink's line per record: the converted value, nothing else.
                for (RecordChangeEvent<SourceRecord> event : batch) {
                    SourceRecord r = event.record();
                    byte[] v = values.fromConnectData(r.topic(), r.valueSchema(), r.value());
                    valuesOut.write(v == null ? NULL_BYTES : v);
                    valuesOut.write('\n');
                }
                valuesOut.flush();
                return;
            }
            for (RecordChangeEvent<SourceRecord> event : batch) {
                SourceRecord r = event.record();
                byte[] k = keys.fromConnectData(r.topic(), r.keySchema(), r.key());
                byte[] v = values.fromConnectData(r.topic(), r.valueSchema(), r.value());
                out.write("{\"topic\":");
                out.write(json.writeValueAsString(r.topic()));
                out.write(",\"key\":");
                out.write(k == null ? "null" : new String(k, StandardCharsets.UTF_8));
                out.write(",\"value\":");
                out.write(v == null ? "null" : new String(v, StandardCharsets.UTF_8));
                out.write("}\n");
            }
            out.flush();
        }

        synchronized void closeOut() {
            try {
                if (valuesOut != null) {
                    valuesOut.close();
                    return;
                }
                out.close();
            } catch (Exception e) {
                // closing twice, or the disk is gone: nothing more to write either way
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args.length % 2 != 0) {
            System.err.println("usage: java -cp '<libs>/*' DebeziumEngine.java PROPS OUT [PROPS OUT ...]");
            System.exit(2);
        }
        List<Engine> engines = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            Properties props = new Properties();
            try (Reader in = new InputStreamReader(new FileInputStream(args[i]), StandardCharsets.UTF_8)) {
                props.load(in);
            }
            int index = i / 2;
            Path state = Files.createTempDirectory("debezium-engine-" + index + "-");
            props.putIfAbsent("name", "engine-" + index);
            props.putIfAbsent("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
            props.putIfAbsent("offset.storage.file.filename", state.resolve("offsets.dat").toString());
            props.putIfAbsent("offset.flush.interval.ms", "1000");
            props.putIfAbsent("schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
            props.putIfAbsent("schema.history.internal.file.filename", state.resolve("schema-history.dat").toString());
            engines.add(new Engine(index, props, Path.of(args[i + 1])));
        }

        ExecutorService executor = Executors.newCachedThreadPool();
        CountDownLatch finished = new CountDownLatch(engines.size());
        for (Engine e : engines) {
            e.engine = io.debezium.engine.DebeziumEngine.create(ChangeEventFormat.of(io.debezium.embedded.Connect.class))
                    .using(e.props)
                    .using(new io.debezium.engine.DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void taskStarted() {
                            say("STARTED " + e.index);
                        }
                    })
                    .using((success, message, error) -> {
                        e.done = true;
                        if (!success) {
                            // The whole cause chain: Debezium wraps the real reason in a generic ConnectException.
                            StringBuilder why = new StringBuilder(String.valueOf(message));
                            for (Throwable t = error; t != null; t = t.getCause()) {
                                why.append(" <- ").append(t);
                            }
                            say("FAILED " + e.index + " " + why.toString().replace('\n', ' '));
                            if (error != null) {
                                error.printStackTrace();
                            }
                        }
                        finished.countDown();
                    })
                    .notifying((records, committer) -> {
                        try {
                            e.write(records);
                        } catch (java.io.IOException err) {
                            throw new java.io.UncheckedIOException(err);
                        }
                        for (RecordChangeEvent<SourceRecord> r : records) {
                            committer.markProcessed(r);
                        }
                        committer.markBatchFinished();
                    })
                    .build();
            executor.execute(e.engine);
        }

        Thread stopper = new Thread(() -> stop(engines, executor, finished));
        Runtime.getRuntime().addShutdownHook(stopper);

        // Announce streaming once each engine's streaming metrics say Connected (Debezium registers them as
        // debezium.<connector>:type=connector-metrics,context=streaming,server=<topic.prefix>[,task=…]).
        Thread watcher = new Thread(() -> watchStreaming(engines));
        watcher.setDaemon(true);
        watcher.start();

        // The parent closing our stdin (or dying) ends the run, so no engine outlives a crashed test.
        while (System.in.read() != -1) {
            // keep reading until EOF
        }
        System.exit(0); // runs the shutdown hook
    }

    static void watchStreaming(List<Engine> engines) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Map<String, Engine> byPrefix = new HashMap<>();
        for (Engine e : engines) {
            byPrefix.put(e.props.getProperty("topic.prefix", ""), e);
        }
        try {
            ObjectName pattern = new ObjectName("debezium.*:type=connector-metrics,context=streaming,*");
            while (true) {
                boolean all = true;
                for (Engine e : engines) {
                    all &= e.streaming || e.done;
                }
                if (all) {
                    return;
                }
                Set<ObjectName> names = server.queryNames(pattern, null);
                for (ObjectName name : names) {
                    Engine e = byPrefix.get(name.getKeyProperty("server"));
                    if (e == null || e.streaming) {
                        continue;
                    }
                    try {
                        if (Boolean.TRUE.equals(server.getAttribute(name, "Connected"))) {
                            e.streaming = true;
                            say("STREAMING " + e.index);
                        }
                    } catch (Exception notYet) {
                        // the MBean is being registered or has no Connected attribute yet
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        } catch (Exception err) {
            err.printStackTrace();
        }
    }

    static void stop(List<Engine> engines, ExecutorService executor, CountDownLatch finished) {
        for (Engine e : engines) {
            try {
                e.engine.close();
            } catch (Exception err) {
                err.printStackTrace();
            }
        }
        executor.shutdown();
        try {
            finished.await(30, TimeUnit.SECONDS);
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
        for (Engine e : engines) {
            e.closeOut();
        }
        say("STOPPED");
    }
}
