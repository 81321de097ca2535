#!/usr/bin/env python3
"""How far a LightGCN training batch reaches: the rows it reads (its users and positives) and their neighbours, as a
share of the graph's nodes and stored weights. Usage: python3 bench/lightgcn-reach.py DATA_DIR [BATCH] [BATCHES]"""
import random
import sys

folder = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/yelp2018"
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
batches = int(sys.argv[3]) if len(sys.argv) > 3 else 3
user_items, item_users, rows = {}, {}, []
for line in open(f"{folder}/train.txt"):
    fields = line.split()
    if len(fields) < 2:
        continue
    user, items = int(fields[0]), [int(i) for i in fields[1:]]
    user_items[user] = items
    for i in items:
        item_users.setdefault(i, []).append(user)
        rows.append((user, i))
nodes, weights = len(user_items) + len(item_users), 2 * len(rows)
random.seed(1)
for _ in range(batches):
    sample = random.sample(rows, batch)
    users, items = {u for u, _ in sample}, {i for _, i in sample}
    reach_users, reach_items = set(users), set(items)
    for u in users:
        reach_items.update(user_items[u])
    for i in items:
        reach_users.update(item_users[i])
    reached = len(reach_users) + len(reach_items)
    reached_weights = sum(len(user_items[u]) for u in reach_users) + sum(len(item_users[i]) for i in reach_items)
    print(f"batch of {batch}: reads {len(users) + len(items):,} rows; with their neighbours {reached:,} of {nodes:,} "
          f"nodes ({reached / nodes:.0%}) holding {reached_weights:,} of {weights:,} stored weights ({reached_weights / weights:.0%})")
