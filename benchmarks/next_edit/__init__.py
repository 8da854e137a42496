"""Next-edit suggestions measured on real history: `python -m benchmarks.next_edit`."""
