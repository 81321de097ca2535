#!/usr/bin/env python3
"""Where a saved model's users and items point: the length of the mean unit user and item vectors (1 when all point
one way) and the cosine between the two means, and the mean cosine of random user-item pairs. Reads the VECS section
of a RecLoss model file (format in src/RecLoss.Core/Models/ModelFile.cs). Pure Python, no packages.

Usage: python3 bench/embedding-geometry.py MODEL.rlm [MODEL.rlm ...]"""
import math
import random
import struct
import sys


def vectors(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x89RLM":
        sys.exit(f"{path}: not a RecLoss model file")
    count = struct.unpack_from("<I", data, 12)[0]
    offset = 16
    for _ in range(count):
        tag, length = data[offset:offset + 4].decode(), struct.unpack_from("<Q", data, offset + 4)[0]
        offset += 16
        if tag == "VECS":
            users, items, dim = struct.unpack_from("<III", data, offset)
            flat = struct.unpack_from(f"<{(users + items) * dim}f", data, offset + 12)
            rows = [flat[r * dim:(r + 1) * dim] for r in range(users + items)]
            return rows[:users], rows[users:]
        offset += length
    sys.exit(f"{path}: no VECS section")


def unit(v):
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


def mean(rows):
    return [sum(col) / len(rows) for col in zip(*rows)]


def cosine(a, b):
    return sum(x * y for x, y in zip(unit(a), unit(b)))


for path in sys.argv[1:]:
    users, items = vectors(path)
    users, items = [unit(u) for u in users], [unit(i) for i in items]
    mu, mi = mean(users), mean(items)
    rng = random.Random(0)
    pairs = [cosine(users[rng.randrange(len(users))], items[rng.randrange(len(items))]) for _ in range(2000)]
    print(f"{path}: |mean unit user| {math.hypot(*mu):.3f}, |mean unit item| {math.hypot(*mi):.3f}, "
          f"cos(mean user, mean item) {cosine(mu, mi):+.3f}, mean cosine of 2,000 random user-item pairs {sum(pairs) / len(pairs):+.3f}")
