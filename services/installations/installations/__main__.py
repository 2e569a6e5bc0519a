from installations.app import main

main()
