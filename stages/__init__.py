"""DVC stage scripts: each reads its params, calls ``pipelib``, writes its outputs."""
