from credits.app import main

main()
