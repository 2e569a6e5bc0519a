pytest_plugins = ["heyzack_stack.pytest_plugin"]
