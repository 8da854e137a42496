"""daima.completion"""
