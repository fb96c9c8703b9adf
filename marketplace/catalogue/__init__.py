"""Categories, products, product photos and the public catalogue."""
