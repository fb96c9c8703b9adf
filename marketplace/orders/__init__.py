"""Cart, checkout, orders, stock reservation and fulfilment."""
