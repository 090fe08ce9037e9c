import Foundation
import Testing
import Yams

/// The monitoring files in `deploy/`: a Grafana dashboard Grafana can import and Prometheus
/// rules with what an alert needs. `.ci/run` also has `promtool check rules` load the rules.
extension DeploymentFilesTests {
    static let dashboardFile = "deploy/grafana/tidings.json"
    static let alertsFile = "deploy/prometheus/alerts.yml"

    @Test("the Grafana dashboard has a title, a uid, a schema version and panels that each query something")
    func dashboardShape() throws {
        let data = try Data(contentsOf: DeploymentFiles.url(Self.dashboardFile))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "the dashboard is not a JSON object")
        #expect((dashboard["title"] as? String)?.isEmpty == false, "a dashboard needs a title")
        #expect((dashboard["uid"] as? String).map { !$0.isEmpty && $0.count <= 40 } == true, "uid: 1 to 40 characters")
        #expect(dashboard["schemaVersion"] is Int, "schemaVersion must be a number")
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []).compactMap {
            $0["name"] as? String
        }
        let panels = try #require(dashboard["panels"] as? [[String: Any]], "panels must be a list of objects")
        #expect(!panels.isEmpty)

        var ids: Set<Int> = []
        var cells: Set<[Int]> = []
        for panel in panels {
            let title = panel["title"] as? String ?? ""
            let id = try #require(panel["id"] as? Int, "panel \(title) has no numeric id")
            #expect(ids.insert(id).inserted, "panel id \(id) is used twice")
            #expect(!title.isEmpty && panel["type"] is String, "panel \(id) needs a title and a type")
            let grid = try #require(panel["gridPos"] as? [String: Int], "panel \(title) has no gridPos of numbers")
            let (h, w, x, y) = (grid["h"] ?? 0, grid["w"] ?? 0, grid["x"] ?? -1, grid["y"] ?? -1)
            #expect(h > 0 && w > 0 && x >= 0 && y >= 0 && x + w <= 24, "panel \(title): gridPos \(grid) lies outside Grafana's 24 columns")
            for row in y..<(y + h) {
                for column in x..<(x + w) {
                    #expect(cells.insert([row, column]).inserted, "panel \(title) overlaps another at \(column),\(row)")
                }
            }
            guard panel["type"] as? String != "row" else { continue }
            let targets = try #require(panel["targets"] as? [[String: Any]], "panel \(title) has no targets")
            #expect(!targets.isEmpty, "panel \(title) queries nothing")
            let refIDs = targets.compactMap { $0["refId"] as? String }
            #expect(Set(refIDs).count == targets.count, "panel \(title): every target needs its own refId")
            for target in targets {
                #expect((target["expr"] as? String)?.contains("tidings_") == true, "panel \(title): a target without a tidings_ expression")
            }
            let source = (panel["datasource"] as? [String: Any])?["uid"] as? String
            #expect(source == "${datasource}" && variables.contains("datasource"), "panel \(title) must use the datasource variable")
        }
    }

    @Test("every alert rule has a name, an expression, a severity and a summary")
    func alertRulesShape() throws {
        let document = DeploymentFiles.mapping(try Yams.load(yaml: try DeploymentFiles.text(Self.alertsFile)))
        let groups = (document["groups"] as? [Any] ?? []).map { DeploymentFiles.mapping($0) }
        #expect(!groups.isEmpty)
        var names: Set<String> = []
        for group in groups {
            for rule in (group["rules"] as? [Any] ?? []).map({ DeploymentFiles.mapping($0) }) {
                let name = try #require(rule["alert"] as? String, "a rule without alert: \(rule)")
                #expect(names.insert(name).inserted, "\(name) is defined twice")
                #expect((rule["expr"] as? String)?.isEmpty == false, "\(name) has no expr")
                #expect(
                    ["warning", "critical"].contains(DeploymentFiles.mapping(rule["labels"])["severity"] as? String),
                    "\(name): severity"
                )
                #expect((DeploymentFiles.mapping(rule["annotations"])["summary"] as? String)?.isEmpty == false, "\(name): summary")
            }
        }
        #expect(
            names.isSuperset(of: ["TidingsFeedDown", "TidingsCaptureLagHigh", "TidingsSubscribersCutOff", "TidingsNotifyQueueFilling"])
        )
    }
}
