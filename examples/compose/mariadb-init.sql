-- Sample data for docker-compose.yml: runs once, when the mariadb volume is first initialised.
CREATE DATABASE IF NOT EXISTS inventory CHARACTER SET utf8mb4;
CREATE TABLE inventory.products (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  price DECIMAL(10, 2) NOT NULL,
  stock INT NOT NULL DEFAULT 0,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
);
INSERT INTO inventory.products (name, price, stock) VALUES
  ('difference engine', 1822.00, 1),
  ('analytical engine', 1837.50, 0),
  ('harvard mark i', 1944.99, 3);

-- The JDBC sink example (examples/jdbc-sink.json) copies PostgreSQL's inventory tables into this database.
CREATE DATABASE IF NOT EXISTS replica CHARACTER SET utf8mb4;
