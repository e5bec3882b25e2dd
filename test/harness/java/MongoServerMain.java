import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Starts mongo-java-server for sluice's tests: `java -cp <lib/*> MongoServerMain.java <port> [--no-oplog]`.
 * The library ships no main class. The oplog is what change streams read, and it is off by default in the
 * library; `--no-oplog` keeps it off so tests can see how the connector reports a server without change streams.
 * The library's MONGO_5_0 reports wire version 8 (that of 4.2), which the Node driver 7 refuses (it needs 9,
 * MongoDB 4.4): we report 5.0 with wire version 13, its real one.
 * Prints one ready line, then runs until stdin closes or the process is killed.
 */
public class MongoServerMain {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        boolean oplog = args.length < 2 || !args[1].equals("--no-oplog");
        MemoryBackend backend = new MemoryBackend();
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
        System.out.println("MONGO-JAVA-SERVER READY " + server.getLocalAddress().getPort() + " oplog=" + oplog);
        System.out.flush();
        // The parent closing our stdin (or dying) ends the server, so no orphan outlives a crashed test run.
        while (System.in.read() != -1) {
            // keep reading until EOF
        }
        server.shutdownNow();
        System.exit(0);
    }
}
