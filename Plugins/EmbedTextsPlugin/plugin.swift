import Foundation
import PackagePlugin

/// Compiles a target's language files (`Languages/<tag>.txt`) into the target: one command of the `EmbedTexts` tool
/// writes `BuiltInLanguages.swift`, which holds each file's content as a raw string literal (`Texts.builtInFiles`).
/// The `.txt` files stay the one home of the texts; the build remakes the source whenever one of them changes.
@main
struct EmbedTextsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target.sourceModule else { return [] }
        let files = module.sourceFiles.map(\.url)
            .filter { $0.pathExtension == "txt" && $0.deletingLastPathComponent().lastPathComponent == "Languages" }
            .sorted { $0.path < $1.path }
        guard !files.isEmpty else {
            throw EmbedTextsError("\(target.name): no Languages/*.txt files to compile in")
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltInLanguages.swift")
        return [.buildCommand(
            displayName: "Compiling in the language files of \(target.name)",
            executable: try context.tool(named: "EmbedTexts").url,
            arguments: [output.path] + files.map(\.path),
            inputFiles: files,
            outputFiles: [output])]
    }
}

struct EmbedTextsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
