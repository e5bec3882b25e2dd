-- Sample data for docker-compose.yml: runs once, when the postgres volume is first initialised.
CREATE SCHEMA inventory;
CREATE TABLE inventory.customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE,
  balance numeric(12, 2) NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Updates and deletes carry the whole old row in `before`.
ALTER TABLE inventory.customers REPLICA IDENTITY FULL;
INSERT INTO inventory.customers (name, email, balance) VALUES
  ('Ada Lovelace', 'ada@example.com', 1815.12),
  ('Grace Hopper', 'grace@example.com', 1906.50),
  ('Alan Turing', 'alan@example.com', 1912.23);
