"""Component ids, each defined once; the prefix names the page that owns the component."""

# Shell (every page)
SHELL_BANNER = "shell-banner"
SHELL_HEALTH_TICK = "shell-health-tick"
SHELL_CLOCK = "shell-clock"

# Overview page "/"
HOME_CARDS = "home-cards"
HOME_TICK = "home-tick"
HOME_CHECKED = "home-checked"
