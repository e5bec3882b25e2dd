// Run by the mongodb-init service of docker-compose.yml (mongosh): makes the single node a replica set (change
// streams need one) and adds sample documents once. Safe to run again.
try {
  rs.status();
} catch {
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] });
}
for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i++) sleep(1000);
if (!db.hello().isWritablePrimary) throw new Error('the replica set has no primary after 60 s');

const orders = db.getSiblingDB('inventory').orders;
if (orders.countDocuments() === 0) {
  orders.insertMany([
    { _id: 1, customer: 'ada@example.com', items: [{ sku: 'engine', qty: 1 }], total: NumberDecimal('1815.12') },
    { _id: 2, customer: 'grace@example.com', items: [{ sku: 'compiler', qty: 2 }], total: NumberDecimal('1906.50') },
  ]);
}
print('mongodb-init: replica set rs0 ready');
