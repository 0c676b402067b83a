"""Orders with item rows; every write keeps the customer's aggregates true."""
