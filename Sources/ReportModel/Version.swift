/// The version of tipskiosk and lagesbild: one release for both programs. It is `--version` of each, the
/// `version` of the kiosk's status payload (docs/CONTRACT.md §4.2), and the version of the Debian packages
/// (scripts/package reads it from the line below and checks that the built programs print it).
public let productVersion = "0.2.0"
