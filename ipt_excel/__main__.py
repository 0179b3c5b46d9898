from ipt_excel.cli import main

main()
