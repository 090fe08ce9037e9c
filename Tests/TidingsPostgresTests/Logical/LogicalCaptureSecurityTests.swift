import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct LogicalCaptureSecurityTests {
    /// A table owner's code that records who ran it: a domain whose check calls it, and a cast to
    /// json of a type of its own (what `to_jsonb` would use).
    static let hostileOwner = """
        CREATE TABLE ran (who text, what text);
        GRANT INSERT ON ran TO PUBLIC;
        CREATE FUNCTION spy(what text) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO ran VALUES (current_user, what); RETURN true; END $$;
        CREATE DOMAIN watched AS int CHECK (spy('domain'));
        CREATE TYPE mood AS ENUM ('calm', 'angry');
        CREATE FUNCTION mood_json(mood) RETURNS json LANGUAGE plpgsql AS $$
            BEGIN PERFORM spy('cast'); RETURN to_json($1::text); END $$;
        CREATE CAST (mood AS json) WITH FUNCTION mood_json(mood);
        CREATE TABLE guarded (id int PRIMARY KEY, w watched);
        CREATE TABLE moods (id int PRIMARY KEY, feeling mood, label text);
        CREATE ROLE app LOGIN;
        GRANT ALL ON guarded, moods TO app;
        """

    @Test(
        "a table owner's domain check and json cast never run in the capturer: the domain's table is counted as a problem, the enum is null",
        .timeLimit(.minutes(3))
    )
    func ownerCodeNeverRunsInTheCapturer() async throws {
        let harness = try await LogicalHarness.make(
            "logical_hostile",
            setup: Self.hostileOwner,
            tables: [try TestSupport.capture("guarded", ["guarded/{id}"]), try TestSupport.capture("moods", ["moods/{id}"])]
        )
        let (events, ran, problems) = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { connection in
                // The writer runs the domain's check itself, as PostgreSQL does for any write.
                try await TestSupport.execute(
                    """
                    SET ROLE app;
                    INSERT INTO guarded VALUES (1, 5);
                    INSERT INTO moods VALUES (1, 'angry', 'x');
                    RESET ROLE;
                    """,
                    on: connection
                )
            }
            try await harness.waitForEvents(1)
            return try await TestSupport.withConnection(harness.url) { connection in
                // The capturer writes the problem in the same transaction as the moods event.
                let events = try await TestSupport.texts(
                    "SELECT event || ' ' || (data->'new')::text FROM tidings.changes ORDER BY id",
                    on: connection
                )
                let ran = try await TestSupport.texts("SELECT who || ' ' || what FROM ran ORDER BY who, what", on: connection)
                let problems = try await TestSupport.texts(
                    "SELECT table_name || ' ' || count FROM tidings.capture_problems",
                    on: connection
                )
                return (events, ran, problems)
            }
        }
        #expect(events == [#"moods.insert {"id": 1, "label": "x", "feeling": null}"#])
        #expect(ran == ["app domain"])
        #expect(problems == ["public.guarded 1"])
    }

    @Test(
        "a domain with no constraint of its own over a constrained one blocks capture of its table too: the inner check never runs in the capturer",
        .timeLimit(.minutes(3))
    )
    func domainOverConstrainedDomainIsBlocking() async throws {
        let harness = try await LogicalHarness.make(
            "logical_domain_chain",
            setup: """
                CREATE TABLE ran (who text, what text);
                GRANT INSERT ON ran TO PUBLIC;
                CREATE FUNCTION spy(what text) RETURNS boolean LANGUAGE plpgsql AS $$
                    BEGIN INSERT INTO ran VALUES (current_user, what); RETURN true; END $$;
                CREATE DOMAIN checked AS int CHECK (spy('inner'));
                CREATE DOMAIN wrapped AS checked;
                CREATE DOMAIN required AS int NOT NULL;
                CREATE DOMAIN wrapped_required AS required;
                CREATE TABLE wrapped_rows (id int PRIMARY KEY, w wrapped);
                CREATE TABLE required_rows (id int PRIMARY KEY, r wrapped_required);
                CREATE TABLE plain (id int PRIMARY KEY, label text);
                CREATE ROLE chain_writer LOGIN;
                GRANT ALL ON wrapped_rows, required_rows, plain TO chain_writer;
                """,
            tables: [
                try TestSupport.capture("wrapped_rows", ["wrapped/{id}"]),
                try TestSupport.capture("required_rows", ["required/{id}"]),
                try TestSupport.capture("plain", ["plain/{id}"]),
            ]
        )
        let (events, ran, problems) = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { connection in
                try await TestSupport.execute(
                    """
                    SET ROLE chain_writer;
                    INSERT INTO wrapped_rows VALUES (1, 5);
                    INSERT INTO required_rows VALUES (1, 6);
                    INSERT INTO plain VALUES (1, 'x');
                    RESET ROLE;
                    """,
                    on: connection
                )
            }
            // Before the fix the capturer rebuilt both rows: the inner check ran as the capturer,
            // and the NOT NULL one failed every batch, so even plain's event never came.
            try await harness.waitForEvents(1, timeout: .seconds(40))
            return try await TestSupport.withConnection(harness.url) { connection in
                let events = try await TestSupport.texts("SELECT event FROM tidings.changes ORDER BY id", on: connection)
                let ran = try await TestSupport.texts("SELECT who || ' ' || what FROM ran ORDER BY who, what", on: connection)
                let problems = try await TestSupport.texts(
                    "SELECT table_name || ' ' || count FROM tidings.capture_problems ORDER BY table_name",
                    on: connection
                )
                return (events, ran, problems)
            }
        }
        #expect(events == ["plain.insert"])
        #expect(ran == ["chain_writer inner"])
        #expect(problems == ["public.required_rows 1", "public.wrapped_rows 1"])
    }
}
