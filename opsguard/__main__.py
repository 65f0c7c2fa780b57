from opsguard.cli import main

main()
