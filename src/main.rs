//! Command-line entry point: parses arguments and hands over to the library. No logic lives here.

fn main() {
    println!("songsketch");
}
