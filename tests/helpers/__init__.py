"""Test inputs built in code (storyboards, timelines, tiny models, synthetic
clips) and the ways tests run storyagent. Not product code."""
