"""daima.review"""
