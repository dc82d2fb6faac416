; Inno Setup script: a per-user installer for the PyInstaller bundle (dist\bundle\dictate).
; Built by .github/workflows/release.yml: iscc /DAppVersion=0.1.0 packaging\windows\dictate.iss
; No administrator rights: installs under %LOCALAPPDATA%\Programs, with a Start menu entry and
; an uninstaller (Settings > Apps). The user's history and settings are kept on uninstall.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1B0F52-3C2B-4E4E-9D0B-7A4E2D1C9F31}
AppName=Dictate
AppVersion={#AppVersion}
AppPublisher=The Dictate developers
DefaultDirName={autopf}\Dictate
DefaultGroupName=Dictate
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Dictate-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\build\icons\dictate.ico
UninstallDisplayIcon={app}\Dictate.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\bundle\dictate\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Dictate"; Filename: "{app}\Dictate.exe"
Name: "{autodesktop}\Dictate"; Filename: "{app}\Dictate.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Dictate.exe"; Description: "{cm:LaunchProgram,Dictate}"; Flags: nowait postinstall skipifsilent
