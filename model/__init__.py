"""daima.model"""
