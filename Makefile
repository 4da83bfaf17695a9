# ScrittaBot. `make run` runs the bot, `make test` runs every test; both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := install

JDK := $(shell scripts/find-jdk)
ifeq ($(JDK),)
$(error no JDK 21 or newer found: see the message above)
endif
export JAVA_HOME := $(JDK)
JAVA := $(JDK)/bin/java
MVN := mvn -B -q
CONFIG ?= config.yaml
JAR := target/scrittabot.jar
AOT := target/sandbox.aot
SOURCES := $(shell find src/main -type f) pom.xml

.PHONY: install run console login test bench bench-agent clean tools browser config-check database

install: $(JAR) $(AOT)

$(JAR): $(SOURCES) | tools
	$(MVN) package -DskipTests
	@touch $(JAR)

# The sandbox child starts about twice as fast from the JDK's AOT cache (JDK 25+).
$(AOT): $(JAR)
	@scripts/train-sandbox-aot $(JAVA) $(JAR) $(AOT)

# Maven is the one build tool; install it from Debian when it is missing.
tools:
	@command -v mvn >/dev/null || { echo "installing maven"; apt-get update -qq && apt-get install -y -qq maven; }

# The monitor page is tested in a real browser: Chromium from Debian, headless, driven through
# Debian's chromedriver (Selenium Manager cannot download one here).
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { echo "installing chromium and chromedriver (the monitor's browser test)"; apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } || { echo "chromium or chromedriver is missing and cannot be installed here (apt-get install chromium chromium-driver): the monitor's browser test will fail"; }

config-check:
	@test -f $(CONFIG) || { echo "$(CONFIG) is missing: copy config.example.yaml to $(CONFIG) and fill in your endpoints (see README.md)"; exit 1; }

# The bot in its Matrix rooms; `make console` chats in this terminal instead, `make login`
# writes a Matrix access token into the config.
run: install config-check database
	$(JAVA) -jar $(JAR) --config $(CONFIG)

console: install config-check database
	$(JAVA) -jar $(JAR) --config $(CONFIG) --console

# With database_url missing or still the example's, a local PostgreSQL with pgvector is set up
# (Debian packages, pgvector built from source) and its URL written into the config; a
# database_url of your own is left alone.
database: config-check
	@scripts/setup-database $(CONFIG)

login: install
	$(JAVA) -jar $(JAR) --config $(CONFIG) --login

# Not quiet: the test runners' summaries are the record of what ran. The jar and its AOT cache
# are built first; Maven leaves an unchanged jar alone, so the cache stays valid. The Matrix
# end-to-end tests need a venv with Synapse and matrix-nio (made once, about a minute); its path,
# the script's last line, reaches the test JVMs through the environment. The tests' PostgreSQL
# is a throwaway cluster (pgvector is installed first if missing), removed when they end.
test: install browser
	venv=$$(scripts/matrix-test-env) && export SCRITTABOT_MATRIX_VENV="$${venv##*$$'\n'}" && scripts/test-postgres run mvn -B -ntp verify

# BENCH="recall facts" runs only those sections (see Benchmarks.java); the test classpath brings
# the small embedding model the recall benchmark uses. EMBED_URL=http://host:port (a server with
# a multilingual embedding model, such as ../shared/real-llm's e5) adds the languages section.
bench: install
	$(MVN) test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath
	EMBED_URL=$(EMBED_URL) scripts/test-postgres run $(JAVA) -cp "target/test-classes:$(JAR):$$(cat target/test-classpath)" scrittabot.bench.Benchmarks $(BENCH)

# The agent with a real model: make bench-agent LLM_URL=http://127.0.0.1:8080 (a llama.cpp
# server; RUNS, SEED, CONTEXT and EXTRA="key: value" as in AgentBench.java).
bench-agent: install
	@test -n "$(LLM_URL)" || { echo "LLM_URL is missing: make bench-agent LLM_URL=http://host:port (a llama.cpp server)"; exit 1; }
	$(MVN) test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath
	scripts/test-postgres run $(JAVA) -cp "target/test-classes:$(JAR):$$(cat target/test-classpath)" scrittabot.bench.AgentBench $(LLM_URL)

clean:
	$(MVN) clean
