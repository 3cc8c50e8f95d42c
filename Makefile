# The two commands of README.md. Both set up whatever is missing first and are safe to repeat.
.PHONY: run test

run:
	bash scripts/dev.sh run

test:
	bash scripts/dev.sh test
