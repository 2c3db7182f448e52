"""Sizes in and out."""

import pytest

from ukspace_lab.units import SizeError, format_size, parse_size, size_token


@pytest.mark.parametrize("text,expected", [
    ("4096", 4096), (4096, 4096), ("64KiB", 65536), ("16GiB", 16 << 30),
    ("1.5GiB", 3 << 29), ("2M", 2 << 20), ("512 MiB", 512 << 20), ("0", 0),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["16GB", "-1", "lots", "1.3B", True, -4, None, "0.5KiB1"])
def test_parse_size_rejects(bad):
    with pytest.raises(SizeError):
        parse_size(bad)


def test_format_and_token():
    assert format_size(896 << 20) == "896 MiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(100) == "100 B"
    assert size_token(16 << 30) == "16GiB"
    assert size_token(4095) == "4095"
