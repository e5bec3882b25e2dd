import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Reads and writes offset.storage.topic the way a Kafka Connect worker does: key [connector, partition] and value
 * offset through Connect's JsonConverter with schemas disabled, records produced with Kafka's default partitioner.
 *
 *   read  bootstrap topic                         one line per record: partition|connector|partition map|offset map
 *   write bootstrap topic connector key=v... -- key=v...   integers become Long, as Connect's offsets hold them
 *
 * Maps print sorted, with each value's Java class, e.g. {lsn=24023128:Long, server=db:String}.
 */
public class ConnectOffsets {
  static JsonConverter converter(boolean isKey) {
    JsonConverter c = new JsonConverter();
    c.configure(Map.of("schemas.enable", "false"), isKey);
    return c;
  }

  static String typed(Object o) {
    if (o instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<?, ?> e : new TreeMap<>(m).entrySet()) {
        if (sb.length() > 1) sb.append(", ");
        sb.append(e.getKey()).append('=').append(typed(e.getValue()));
      }
      return sb.append('}').toString();
    }
    return o == null ? "null" : o + ":" + o.getClass().getSimpleName();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[1];
    String topic = args[2];
    if (args[0].equals("read")) {
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      JsonConverter keys = converter(true);
      JsonConverter values = converter(false);
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            List<?> key = (List<?>) keys.toConnectData(topic, r.key()).value();
            Object offset = values.toConnectData(topic, r.value()).value();
            System.out.println(r.partition() + "|" + key.get(0) + "|" + typed(key.get(1)) + "|" + typed(offset));
          }
        }
      }
      return;
    }
    String connector = args[3];
    Map<String, Object> partition = new LinkedHashMap<>();
    Map<String, Object> offset = new LinkedHashMap<>();
    Map<String, Object> into = partition;
    for (int i = 4; i < args.length; i++) {
      if (args[i].equals("--")) {
        into = offset;
        continue;
      }
      String[] kv = args[i].split("=", 2);
      into.put(kv[0], kv[1].matches("-?\\d+") ? (Object) Long.valueOf(kv[1]) : kv[1]);
    }
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      byte[] key = converter(true).fromConnectData(topic, null, List.of(connector, partition));
      byte[] value = converter(false).fromConnectData(topic, null, offset);
      RecordMetadata m = producer.send(new ProducerRecord<>(topic, key, value)).get();
      System.out.println(m.partition() + "|" + new String(key, "UTF-8") + "|" + new String(value, "UTF-8"));
    }
  }
}
