"""The evaluation wing: real-news benchmarks (stance, consistency) and the verdict fit. It imports the core;
the core never imports it."""
