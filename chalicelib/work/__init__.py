"""The work lanes a conversation moves into when chat cannot finish the job: callbacks and tickets."""
