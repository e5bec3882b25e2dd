import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.TopicPartition;

/**
 * Prints the producers the broker tracks for one partition (Kafka's DescribeProducers, which kafkajs lacks), one
 * line each: producerId epoch lastSequence. Only idempotent (or transactional) producers have such state.
 * Usage: java -cp 'libs/*' DescribeProducers.java bootstrap topic partition
 */
public class DescribeProducers {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(props)) {
      TopicPartition tp = new TopicPartition(args[1], Integer.parseInt(args[2]));
      List<ProducerState> states = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
      for (ProducerState s : states) {
        System.out.println(s.producerId() + " " + s.producerEpoch() + " " + s.lastSequence());
      }
    }
  }
}
