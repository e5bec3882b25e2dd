"""Reads a topic with Confluent's Python client and decodes keys and values with Confluent's AvroDeserializer.

Usage: decode-avro.py BOOTSTRAP REGISTRY_URL TOPIC EXPECTED TIMEOUT_MS
Prints one JSON line per message: partition, offset, keyId/valueId (the schema id in Confluent's header) and the
decoded key and value. Values JSON cannot carry exactly are tagged: {"$bytes": base64}, {"$decimal": "1.50"},
{"$int": "digits"} (beyond 2^53), {"$float": "NaN"}, {"$date": iso}, {"$time": iso}, {"$timestamp": iso}.
"""
import base64
import datetime
import decimal
import json
import math
import struct
import sys
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def tag(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 else {"$int": str(v)}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$float": str(v).replace("inf", "Infinity").replace("nan", "NaN")}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, decimal.Decimal):
        return {"$decimal": format(v, "f")}
    if isinstance(v, datetime.datetime):
        return {"$timestamp": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$time": v.isoformat()}
    if isinstance(v, dict):
        return {str(k): tag(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    return {"$repr": repr(v)}


def main():
    bootstrap, registry, topic, expected, timeout_ms = sys.argv[1:6]
    expected = int(expected)
    deadline = time.time() + int(timeout_ms) / 1000
    sr = SchemaRegistryClient({"url": registry})
    deserialize = AvroDeserializer(sr)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "decode-avro-%d" % int(time.time() * 1000),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    # The topic appears with its first record: wait for it.
    while True:
        metadata = consumer.list_topics(topic, timeout=30)
        partitions = metadata.topics[topic].partitions
        if partitions or time.time() > deadline:
            break
        time.sleep(0.25)
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    seen = 0
    while seen < expected and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise SystemExit("consume error: %s" % msg.error())
        out = {"partition": msg.partition(), "offset": msg.offset()}
        for field, raw, name in ((MessageField.KEY, msg.key(), "key"), (MessageField.VALUE, msg.value(), "value")):
            if raw is None:
                out[name + "Id"] = None
                out[name] = None
                continue
            out[name + "Id"] = struct.unpack(">bI", raw[:5])[1]
            out[name] = tag(deserialize(raw, SerializationContext(topic, field)))
        print(json.dumps(out, allow_nan=False))
        seen += 1
    consumer.close()


main()
