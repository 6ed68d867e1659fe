from storyagent.cli import main

main()
