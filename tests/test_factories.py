"""The factories reach each listing status through the real services."""
import pytest


@pytest.mark.parametrize("status, public", [("draft", False), ("pending", False), ("approved", True),
                                            ("rejected", False), ("archived", False)])
def test_make_product_statuses(make_product, status, public):
    product = make_product(status=status)
    assert product.status == status
    assert product.is_public is public
