"""Studies built on the engines: sweeps and their cache, notebook views, the
verdict and its break-even points. Reads the model and the simulator; never
the presentation."""
