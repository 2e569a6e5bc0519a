from kpi_projector.app import main

main()
