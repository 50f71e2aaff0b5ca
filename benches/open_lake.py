"""Writes the open-format benchmark's lake: TABLES Delta tables with COMMITS commits each (a
checkpoint five commits before the end, a column added half-way) and TABLES Iceberg tables
with COMMITS snapshots each (PyIceberg's SqlCatalog). argv = ROOT TABLES COMMITS."""
import os
import sys
from multiprocessing import Pool

import pyarrow as pa

root, tables, commits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def row(c, extra):
    cols = {"id": pa.array([c], pa.int64()), "kind": pa.array(["view"])}
    if extra:
        cols["extra"] = pa.array([c * 1.5])
    return pa.table(cols)


def delta(t):
    from deltalake import DeltaTable, write_deltalake
    path = os.path.join(root, "delta", f"t{t:03}")
    for c in range(commits):
        write_deltalake(path, row(c, c >= commits // 2), mode="append", schema_mode="merge")
        if c == max(commits - 6, 0):
            DeltaTable(path).create_checkpoint()


def iceberg(part):
    from pyiceberg.catalog.sql import SqlCatalog
    cat = SqlCatalog("b", uri=f"sqlite:///{root}/iceberg-{part}.db", warehouse=f"file://{root}/iceberg")
    cat.create_namespace(f"p{part}")
    for t in range(part, tables, 2):
        table = cat.create_table(f"p{part}.t{t:03}", schema=row(0, False).schema)
        with table.transaction() as tx:
            for c in range(commits):
                tx.append(row(c, False))


if __name__ == "__main__":
    with Pool(2) as pool:
        pool.map(delta, range(tables))
        pool.map(iceberg, [0, 1])
    print("ok")
