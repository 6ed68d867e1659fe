"""storyagent's tests, a package so every test imports its shared inputs as
`tests.helpers.*`, whether pytest is started from the repository root or not."""
