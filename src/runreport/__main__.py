from runreport.cli import run

run()
