"""daima.lsp"""
