import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Starts mongo-java-server for sluice's tests:
 * `java -cp <lib/*> MongoServerMain.java <port> [--no-oplog] [--hello] [--h2 FILE]`. With `--h2` the data (and the
 * oplog, a collection) live in an H2 MVStore file and survive a restart of the server; the H2 backend's jars must
 * then be on the class path (scripts/install-mongo-java-server.sh). `--hello` works with the memory backend only.
 * The library ships no main class. The oplog is what change streams read, and it is off by default in the
 * library; `--no-oplog` keeps it off so tests can see how the connector reports a server without change streams.
 * The library's MONGO_5_0 reports wire version 8 (that of 4.2), which the Node driver 7 refuses (it needs 9,
 * MongoDB 4.4): we report 5.0 with wire version 13, its real one.
 * `--hello` answers the `hello` command (which the library lacks) as `isMaster`, with an `operationTime`: Debezium's
 * MongoDB connector takes its snapshot's start position from it when a change stream has no resume token yet.
 * Prints one ready line, then runs until stdin closes or the process is killed.
 */
public class MongoServerMain {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        boolean oplog = true;
        boolean hello = false;
        String h2File = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--no-oplog")) oplog = false;
            else if (args[i].equals("--hello")) hello = true;
            else if (args[i].equals("--h2")) h2File = args[++i];
        }
        if (hello && h2File != null) throw new IllegalArgumentException("--hello works with the memory backend only");
        boolean answerHello = hello;
        // Loaded by name: the H2 backend is on the class path only when asked for.
        AbstractMongoBackend backend = h2File != null
            ? (AbstractMongoBackend) Class.forName("de.bwaldvogel.mongo.backend.h2.H2Backend")
                .getConstructor(String.class).newInstance(h2File)
            : new MemoryBackend() {
                @Override
                public Document handleCommand(io.netty.channel.Channel channel, String db, String command, Document query) {
                    if (answerHello && command.equalsIgnoreCase("hello")) {
                        Document reply = super.handleCommand(channel, db, "isMaster", query);
                        reply.put("operationTime", new BsonTimestamp(java.time.Instant.now(), 1));
                        return reply;
                    }
                    return super.handleCommand(channel, db, command, query);
                }
            };
        backend.version(new MongoVersion() {
            @Override
            public java.util.List<Integer> getVersionArray() {
                return java.util.List.of(5, 0, 0);
            }

            @Override
            public int getWireVersion() {
                return 13;
            }
        });
        MongoServer server = new MongoServer(backend);
        if (oplog) {
            server.enableOplog();
        }
        server.bind("127.0.0.1", port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        System.out.println("MONGO-JAVA-SERVER READY " + server.getLocalAddress().getPort() + " oplog=" + oplog + " hello=" + hello);
        System.out.flush();
        // The parent closing our stdin (or dying) ends the server, so no orphan outlives a crashed test run.
        while (System.in.read() != -1) {
            // keep reading until EOF
        }
        server.shutdownNow();
        System.exit(0);
    }
}
