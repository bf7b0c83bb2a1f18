"""sharesim: agent-based simulation of multi-agency information sharing."""
