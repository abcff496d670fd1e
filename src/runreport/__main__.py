from runreport.cli import main

main()
