import Testing
import TidingsPostgres

@Suite struct SQLScriptTests {
    @Test("splits on top-level semicolons and records each statement's first line")
    func splitsStatements() {
        let script = SQLScript("CREATE TABLE a (x int);\n\n  INSERT INTO a VALUES (1);\nSELECT 1")
        #expect(
            script.statements == [
                .init(text: "CREATE TABLE a (x int)", line: 1),
                .init(text: "INSERT INTO a VALUES (1)", line: 3),
                .init(text: "SELECT 1", line: 4),
            ]
        )
    }

    @Test("keeps semicolons inside strings, identifiers, dollar bodies and comments")
    func respectsQuoting() {
        let sql = """
            SELECT 'a;b', 'it''s;';
            SELECT "we;ird""name" FROM t;
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; SELECT 2; $body$;
            DO $$ BEGIN PERFORM 1; END $$;
            -- a comment; with a semicolon
            /* block; /* nested; */ still comment; */ SELECT E'back\\'slash;';
            SELECT $1::int;
            """
        let texts = SQLScript(sql).statements.map(\.text)
        #expect(texts.count == 6)
        #expect(texts[0] == "SELECT 'a;b', 'it''s;'")
        #expect(texts[1] == "SELECT \"we;ird\"\"name\" FROM t")
        #expect(texts[2].hasSuffix("SELECT 1; SELECT 2; $body$"))
        #expect(texts[3] == "DO $$ BEGIN PERFORM 1; END $$")
        #expect(texts[4] == "SELECT E'back\\'slash;'")
        #expect(texts[5] == "SELECT $1::int")
    }

    @Test("drops statements made only of comments and whitespace")
    func dropsEmptyStatements() {
        let script = SQLScript("-- only a comment\n;\n/* and another */;\n   ;SELECT 1;\n-- trailing")
        #expect(script.statements == [.init(text: "SELECT 1", line: 4)])
    }

    @Test("a dollar sign inside a name does not open a body")
    func dollarInsideNames() {
        let statements = SQLScript("SELECT a$b$c FROM t; SELECT 2").statements.map(\.text)
        #expect(statements == ["SELECT a$b$c FROM t", "SELECT 2"])
    }
}
