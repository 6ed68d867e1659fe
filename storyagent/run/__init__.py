"""Running the pipeline: the LangGraph `graph` and its `stages` in the film folder, the
Python API (`film`), shot `executors`, the run `catalogue`, `status`, `progress`, `doctor`."""
