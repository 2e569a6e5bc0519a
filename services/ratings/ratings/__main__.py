from ratings.app import main

main()
