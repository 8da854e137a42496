"""daima.indexer"""
