import MusterCore
@main
struct Muster {
    static func main() async {}
}
