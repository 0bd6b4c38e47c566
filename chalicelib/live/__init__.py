"""The live lane: connections and presence, each conversation's timeline, who receives what, one handler per action."""
